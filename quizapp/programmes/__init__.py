"""Study programmes: ordered lessons with graded checks, enrolment, completion and renewal."""
