#!/usr/bin/env python3
"""buggy_store.py: good_store.py with one mistake that real store providers make.

It is the store provider of good_store.py (same protocol, same state, same answers)
except for one method: it calls IMAPISupport::StoreLogoffTransports at the FIRST
Release, while references remain, instead of when the reference count reaches zero.
That breaks R4 of docs/SPEC.md. It shows only in runs where a Release leaves the count
above zero (two clients, or an AddRef before it) before any StoreLogoffTransports call;
elsewhere it answers exactly as good_store.py does. Run:

    cargo run -q --release -p sim --bin logoff-sim -- conform --role store \
        --cmd 'python3 examples/providers/buggy_store.py'

Python 3, standard library only; good_store.py must sit in the same directory.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # leave no __pycache__ next to the examples

import good_store  # noqa: E402  (after the path is set)


class BuggyStoreProvider(good_store.StoreProvider):
    NAME = "buggy_store.py"

    def wants_transports_at_release(self):
        # THE MISTAKE: the provider calls StoreLogoffTransports from the first Release
        # it sees (as long as it has not called it yet and no call of its own is in
        # progress), whatever the reference count still is. Its author read "call
        # StoreLogoffTransports from Release when it was never called" (pages 000-002)
        # and forgot "when the reference count drops to zero" (page 004). R4 allows the
        # call at Release only when the count reaches zero; here the spooler may
        # release the store, and the store be invalidated (R5), while other clients
        # still hold references and expect to use it.
        if not self.invalid and not self.called and self.in_progress is None:
            return True
        # Otherwise, the same decision as good_store.py (at zero, R4 and A9).
        return super().wants_transports_at_release()


if __name__ == "__main__":
    sys.exit(good_store.main(BuggyStoreProvider))
