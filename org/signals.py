"""Signals the org app sends to higher apps. Receivers only enqueue work on commit.

``person_placed(person_id: int)``: a person was created in, or moved to, an org unit.
Sent inside the service's transaction; receivers must use ``transaction.on_commit``.
"""

from django.dispatch import Signal

person_placed = Signal()
