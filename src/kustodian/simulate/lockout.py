"""Smart Lockout as Entra ID documents it, as a small state machine.

Facts (spec section 7, from Microsoft's Smart Lockout article):

- the account locks after `threshold` (default 10) failed sign-ins;
- the first lockout lasts `duration` (default 60 s); after it ends, each further failure locks the
  account again, for longer each time (Microsoft does not publish the rate: here it doubles, up
  to `max_duration`);
- only the last three bad password hashes are remembered, so a wrong password that was already
  tried does not count again;
- familiar and unfamiliar locations keep separate counters, so an attacker abroad does not lock
  the owner out at the office;
- attempts while locked are answered with 50053 whatever the password; a successful sign-in
  clears the counter of its location; SSPR or an admin unlock clears everything.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class Outcome(Enum):
    """What Entra answers to one password attempt."""

    SUCCESS = 0
    BAD_PASSWORD = 50126
    LOCKED = 50053


@dataclass(slots=True)
class _Counter:
    failures: int = 0
    bad_hashes: deque[str] = field(default_factory=lambda: deque(maxlen=3))
    locked_until: float = float("-inf")
    lockouts: int = 0


class SmartLockout:
    """Lockout state of one account.

    Args:
        threshold: failed sign-ins before the account locks (Entra's default is 10).
        duration: seconds of the first lockout (default 60).
        growth: factor each further lockout's duration grows by.
        max_duration: cap on a lockout's duration, in seconds.
        remembered: how many distinct bad password hashes are remembered (Entra: 3).
    """

    def __init__(
        self,
        threshold: int = 10,
        duration: float = 60.0,
        growth: float = 2.0,
        max_duration: float = 3600.0,
        remembered: int = 3,
    ) -> None:
        self.threshold = threshold
        self.duration = duration
        self.growth = growth
        self.max_duration = max_duration
        self.remembered = remembered
        self._counters = {True: self._new(), False: self._new()}

    def _new(self) -> _Counter:
        return _Counter(bad_hashes=deque(maxlen=self.remembered))

    def attempt(self, now: float, password: str, correct: bool, *, familiar: bool) -> Outcome:
        """One sign-in attempt with a password.

        Args:
            now: the attempt's time, in seconds (any epoch, as long as it is the same).
            password: the attempted password or its hash; only compared for equality.
            correct: whether it is the account's password.
            familiar: whether the attempt comes from a location familiar for the account.

        Returns:
            SUCCESS, BAD_PASSWORD (50126) or LOCKED (50053).
        """
        c = self._counters[familiar]
        if now < c.locked_until:
            return Outcome.LOCKED
        if correct:
            c.failures = 0
            c.bad_hashes.clear()
            c.lockouts = 0
            return Outcome.SUCCESS
        if password in c.bad_hashes:
            return Outcome.BAD_PASSWORD  # the same wrong password again does not count
        c.bad_hashes.append(password)
        c.failures += 1
        if c.failures < self.threshold:
            return Outcome.BAD_PASSWORD
        relock = c.lockouts > 0
        seconds = min(self.duration * self.growth**c.lockouts, self.max_duration)
        c.lockouts += 1
        c.locked_until = now + seconds
        # the attempt that reaches the threshold was checked (a wrong password); one after an
        # expired lockout locks again at once, and the user sees the lockout
        return Outcome.LOCKED if relock else Outcome.BAD_PASSWORD

    def is_locked(self, now: float, *, familiar: bool) -> bool:
        return now < self._counters[familiar].locked_until

    def locked_until(self, *, familiar: bool) -> float:
        """When the current or last lockout of that location's counter ends (-inf if never)."""
        return self._counters[familiar].locked_until

    def failures(self, *, familiar: bool) -> int:
        """Counted failures of that location's counter."""
        return self._counters[familiar].failures

    def lockouts(self, *, familiar: bool) -> int:
        """Lockouts since the last success or unlock (each lasts longer than the one before)."""
        return self._counters[familiar].lockouts

    def unlock(self) -> None:
        """Self-service password reset or an admin unlock: both counters start over."""
        self._counters = {True: self._new(), False: self._new()}
