"""The programme file format: a good file loads; each defect is reported with its line."""

from quizapp.programmes.fileformat import load_programme

GOOD = """\
format: quizapp-programme/1
programme:
  key: thu-nghiem
  title: "Chương trình thử nghiệm"
  audience: {populations: [member], admitted_in_period: true}
  sequential: false
  required: 1
  renewal_months: 12
documents:
  LANM2025: {title: "Luật An ninh mạng", number: "116/2025/QH15", in_force_from: 2026-07-01}
lessons:
  - key: bai-1
    title: "Bài 1"
    content: "Nội dung"
    sources: [{document: LANM2025, article: "Điều 1", quote: "…"}]
    check: {bank: luat-an-ninh-mang-2025, categories: [chuong-1], questions: 5,
            time_limit_minutes: 15, retry_wait_minutes: 30, max_attempts: 3}
"""


def test_good_file():
    spec, problems = load_programme(GOOD)
    assert problems == []
    assert spec.key == "thu-nghiem" and spec.populations == ("member",)
    assert spec.admitted_in_period and not spec.sequential and spec.required_count == 1
    check = spec.lessons[0].check
    assert (check.time_limit_s, check.retry_wait_s, check.max_attempts) == (900, 1800, 3)
    assert spec.lessons[0].line == 12


def test_errors_name_the_line():
    bad = GOOD.replace("questions: 5", "questions: 0").replace("[member]", "[members]")
    bad = bad.replace("document: LANM2025", "document: LANM2018")
    spec, problems = load_programme(bad)
    assert spec is None
    by_line = {(p.line, p.message.split(" ")[0]) for p in problems}
    assert (5, "Unknown") in by_line  # the population, on the audience's line
    assert any(p.line == 16 and "questions" in p.params.get("field", "") for p in problems)
    assert any(p.line == 12 and p.params.get("doc") == "LANM2018" for p in problems)


def test_not_yaml_and_wrong_format():
    assert load_programme("a: [")[1][0].message.startswith("Not valid YAML")
    assert load_programme("format: other\n")[1][0].line == 1
