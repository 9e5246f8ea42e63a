"""Population categories counted by the plans' indicators (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from quizapp.i18n import N_


class Population(StrEnum):
    CADRE = "cadre"
    MEMBER = "member"
    ASSOCIATION = "association"
    YOUTH = "youth"
    CHILD = "child"
    TEACHER = "teacher"
    PUPIL = "pupil"


LABELS: dict[Population, str] = {
    Population.CADRE: N_("Union cadre"),
    Population.MEMBER: N_("Union member"),
    Population.ASSOCIATION: N_("Association member"),
    Population.YOUTH: N_("Youth"),
    Population.CHILD: N_("Teenager or child"),
    Population.TEACHER: N_("Teacher or staff"),
    Population.PUPIL: N_("Pupil or student"),
}

# Spellings accepted in roster files (folded: lower case, no diacritics).
ALIASES: dict[str, Population] = {
    "can bo doan": Population.CADRE,
    "can bo doan, hoi, doi": Population.CADRE,
    "can bo doan hoi doi": Population.CADRE,
    "cadre": Population.CADRE,
    "union cadre": Population.CADRE,
    "doan vien": Population.MEMBER,
    "member": Population.MEMBER,
    "union member": Population.MEMBER,
    "hoi vien": Population.ASSOCIATION,
    "association member": Population.ASSOCIATION,
    "thanh nien": Population.YOUTH,
    "youth": Population.YOUTH,
    "thieu nien, nhi dong": Population.CHILD,
    "thieu nien nhi dong": Population.CHILD,
    "thieu nhi": Population.CHILD,
    "child": Population.CHILD,
    "can bo, nha giao": Population.TEACHER,
    "can bo nha giao": Population.TEACHER,
    "nha giao": Population.TEACHER,
    "giao vien": Population.TEACHER,
    "teacher": Population.TEACHER,
    "hoc sinh, sinh vien": Population.PUPIL,
    "hoc sinh sinh vien": Population.PUPIL,
    "hssv": Population.PUPIL,
    "hoc sinh": Population.PUPIL,
    "sinh vien": Population.PUPIL,
    "pupil": Population.PUPIL,
    "student": Population.PUPIL,
}
ALIASES.update({p.value: p for p in Population})
# The English interface's labels, which its exports write ("teenager or child"…).
ALIASES.update({" ".join(label.lower().split()): p for p, label in LABELS.items()})

# Vietnamese names written into exported rosters and templates.
VI_NAMES: dict[Population, str] = {
    Population.CADRE: "Cán bộ Đoàn",
    Population.MEMBER: "Đoàn viên",
    Population.ASSOCIATION: "Hội viên",
    Population.YOUTH: "Thanh niên",
    Population.CHILD: "Thiếu niên, nhi đồng",
    Population.TEACHER: "Cán bộ, nhà giáo",
    Population.PUPIL: "Học sinh, sinh viên",
}


def population_text(categories: Iterable[str], translate: Callable[[str], str]) -> str:
    """Population categories as the pages name them, `translate`d into the interface's
    language ("Đoàn viên; Thanh niên"), in the categories' own order; an unknown key as is."""
    order = {p.value: i for i, p in enumerate(Population)}
    known = sorted(categories, key=lambda c: (order.get(c, len(order)), c))
    return "; ".join(translate(LABELS[Population(c)]) if c in order else c for c in known)
