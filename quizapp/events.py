"""What one domain announces and another acts on, as blinker signals (the mechanism of
Flask's own signals: https://flask.palletsprojects.com/en/stable/signals/).

The senders do not import the receivers (contests know nothing of study programmes or
certificates); the receivers are connected by `create_app` through each package's
`connect_listeners()`, never as a side effect of an import. Every signal is sent inside the
service call that causes it, in its transaction, with the session as a keyword argument.

Sender → signal (arguments) → receivers:

- `contests.attempts` grades an attempt (submission, time-out, sweep, regrade) →
  `attempt_graded(attempt, session, now)` → `programmes.study.record_check` (the lesson check
  may complete a programme), `certificates.glue.issue_on_grading` (the attempt's certificate).
- `programmes.study.record_check` records a completion →
  `programme_completed(completion, session, programme, member, now)` →
  `certificates.glue.issue_on_completion` (the certificate of completion).
- `contests.results.publish_prizes` →
  `prizes_published(round, session, prize_list, now)` → `certificates.glue.issue_on_publish`.
- `contests.starting.start_attempt`, before a new attempt (not a preview) →
  `attempt_starting(round, session, user, now)` → `programmes.study.guard_start`, which refuses
  by raising (a lesson check opens once the previous lesson is passed).
- `auth.services.open_session` → `logged_in(user, session, now)` and
  `orgs.importing` after a roster import → `members_imported(member_ids, session, now)` →
  `programmes.study` enrols the members in the programmes of their audience.

Certificates need signing keys: the receivers take the issuer from the session
(`session.info[ISSUER]`, set by the app's session factory in `create_app`); a session made
without one, as the service tests' own, signs nothing.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

attempt_graded = signals.signal("attempt-graded")
programme_completed = signals.signal("programme-completed")
prizes_published = signals.signal("prizes-published")
attempt_starting = signals.signal("attempt-starting")
logged_in = signals.signal("logged-in")
members_imported = signals.signal("members-imported")

# Key of Session.info holding a zero-argument callable that returns the certificate issuer.
ISSUER = "quizapp_certificate_issuer"
