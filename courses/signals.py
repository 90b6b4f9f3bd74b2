"""Signals the courses app sends to higher apps. Receivers only enqueue work on commit.

``course_completed(enrolment_id: int, person_id: int, course_id: int)``: an enrolment met its
course's completion rule. Sent inside the completing transaction, once per enrolment;
receivers (certificates) must enqueue their task with ``transaction.on_commit``.
"""

from django.dispatch import Signal

course_completed = Signal()
