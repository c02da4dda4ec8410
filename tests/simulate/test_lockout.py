"""Smart Lockout as Entra documents it: threshold 10, 60 s first lockout growing on repeats,
the last three bad password hashes not counted twice, separate familiar/unfamiliar counters."""

from __future__ import annotations

from kustodian.simulate import Outcome, SmartLockout

BAD, LOCKED, OK = Outcome.BAD_PASSWORD, Outcome.LOCKED, Outcome.SUCCESS


def fail_distinct(
    lock: SmartLockout, n: int, t: float = 0.0, *, familiar: bool = False
) -> list[Outcome]:
    return [lock.attempt(t + i, f"wrong-{t}-{i}", False, familiar=familiar) for i in range(n)]


def test_codes_are_the_sign_in_result_types() -> None:
    assert (OK.value, BAD.value, LOCKED.value) == (0, 50126, 50053)


def test_the_tenth_distinct_failure_locks_the_account() -> None:
    lock = SmartLockout()
    got = fail_distinct(lock, 10)
    assert got == [BAD] * 10  # the tenth password was checked, and was wrong
    assert lock.failures(familiar=False) == 10
    assert lock.is_locked(9.5, familiar=False)
    # while locked every attempt is 50053, the right password too
    assert lock.attempt(20, "wrong-x", False, familiar=False) is LOCKED
    assert lock.attempt(30, "the-password", True, familiar=False) is LOCKED


def test_nine_failures_do_not_lock() -> None:
    lock = SmartLockout()
    assert fail_distinct(lock, 9) == [BAD] * 9
    assert not lock.is_locked(9, familiar=False)
    assert lock.attempt(10, "right", True, familiar=False) is OK


def test_first_lockout_lasts_60_seconds() -> None:
    lock = SmartLockout()
    fail_distinct(lock, 10)  # the tenth at t=9
    assert lock.locked_until(familiar=False) == 69
    assert lock.attempt(68.9, "right", True, familiar=False) is LOCKED
    assert lock.attempt(69, "right", True, familiar=False) is OK


def test_lockouts_grow_after_each_further_failure() -> None:
    lock = SmartLockout()
    fail_distinct(lock, 10)  # locked 9 .. 69
    # after the lockout ends, one more wrong password locks again at once, for twice as long
    assert lock.attempt(70, "next-1", False, familiar=False) is LOCKED
    assert lock.locked_until(familiar=False) == 70 + 120
    assert lock.attempt(190, "next-2", False, familiar=False) is LOCKED
    assert lock.locked_until(familiar=False) == 190 + 240
    assert lock.lockouts(familiar=False) == 3


def test_growth_is_capped() -> None:
    lock = SmartLockout(duration=60, growth=10, max_duration=900)
    fail_distinct(lock, 10)
    lock.attempt(100, "a", False, familiar=False)  # 600 s
    lock.attempt(800, "b", False, familiar=False)  # 6000 s, capped
    assert lock.locked_until(familiar=False) == 800 + 900


def test_repeating_one_of_the_last_three_bad_passwords_does_not_count() -> None:
    lock = SmartLockout()
    for i, pw in enumerate(["a", "b", "c"] * 10):
        assert lock.attempt(i, pw, False, familiar=True) is BAD
    assert lock.failures(familiar=True) == 3
    assert not lock.is_locked(40, familiar=True)


def test_only_three_bad_hashes_are_remembered() -> None:
    lock = SmartLockout()
    for i, pw in enumerate(["a", "b", "c", "d"]):
        lock.attempt(i, pw, False, familiar=True)
    lock.attempt(4, "a", False, familiar=True)  # "a" was pushed out by "d": counts again
    assert lock.failures(familiar=True) == 5
    lock.attempt(5, "d", False, familiar=True)  # still remembered
    assert lock.failures(familiar=True) == 5


def test_familiar_and_unfamiliar_locations_have_separate_counters() -> None:
    lock = SmartLockout()
    fail_distinct(lock, 12, familiar=False)  # an attacker abroad locks the unfamiliar counter
    assert lock.is_locked(12, familiar=False)
    assert not lock.is_locked(12, familiar=True)
    assert lock.attempt(13, "right", True, familiar=True) is OK  # the owner at the office
    assert lock.attempt(14, "right", True, familiar=False) is LOCKED
    assert lock.failures(familiar=True) == 0


def test_success_resets_the_counter_of_its_location() -> None:
    lock = SmartLockout()
    fail_distinct(lock, 9, familiar=True)
    fail_distinct(lock, 5, familiar=False)
    assert lock.attempt(20, "right", True, familiar=True) is OK
    assert lock.failures(familiar=True) == 0
    assert lock.failures(familiar=False) == 5
    # after the reset the same wrong passwords count again
    assert fail_distinct(lock, 9, 0.0, familiar=True) == [BAD] * 9
    assert lock.failures(familiar=True) == 9


def test_unlock_clears_both_counters() -> None:
    lock = SmartLockout()
    fail_distinct(lock, 10, familiar=True)
    fail_distinct(lock, 10, familiar=False)
    lock.unlock()  # self-service password reset or an admin
    assert not lock.is_locked(10, familiar=True) and not lock.is_locked(10, familiar=False)
    assert lock.failures(familiar=True) == lock.failures(familiar=False) == 0


def test_a_lower_threshold_as_in_us_government_clouds() -> None:
    lock = SmartLockout(threshold=3)
    assert fail_distinct(lock, 4) == [BAD, BAD, BAD, LOCKED]
