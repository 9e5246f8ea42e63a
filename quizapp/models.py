"""Import every model module so that Base.metadata knows every table (Alembic, tests)."""

from quizapp.audit.models import AuditEntry  # noqa: F401
from quizapp.auth.models import (  # noqa: F401
    ApiIdempotencyKey,
    ApiToken,
    Consent,
    LoginSession,
    OrganiserRole,
    ResetCode,
    User,
)
from quizapp.banks.models import (  # noqa: F401
    Bank,
    BankCategory,
    BankDocument,
    BankQuestion,
    QuestionVersion,
)
from quizapp.certificates.models import Certificate, CertificateRule, SerialCounter  # noqa: F401
from quizapp.contests.models import (  # noqa: F401
    Attempt,
    AttemptQuestion,
    Contest,
    KeyCorrection,
    PrizeList,
    Round,
)
from quizapp.db import Base  # noqa: F401
from quizapp.indicators.models import (  # noqa: F401
    Confirmation,
    IndicatorEntry,
    PlanDefinition,
    Snapshot,
    SnapshotValue,
)
from quizapp.orgs.models import (  # noqa: F401
    Member,
    MemberCategory,
    MemberUnitHistory,
    PendingImport,
    Unit,
    UnitType,
)
from quizapp.programmes.models import (  # noqa: F401
    Completion,
    Enrolment,
    Lesson,
    Programme,
)
from quizapp.rights.models import DataAccess, DataRequest  # noqa: F401,E402
