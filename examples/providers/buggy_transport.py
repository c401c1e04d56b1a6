#!/usr/bin/env python3
"""buggy_transport.py: good_transport.py with one mistake that real transports make.

It is the transport of good_transport.py (same protocol, same answers) except for one
method: when IXPLogon::TransportLogoff arrives in the middle of a send, it takes the
message being sent as sent (`"send":"taken_as_sent"`) instead of giving it back to the
spooler's queue. The message is then neither queued nor delivered: mail is lost, which
breaks R16 (and the conservation of R20) of docs/SPEC.md. It shows only in runs where
the spooler logs a transport off while that transport is sending; elsewhere it answers
exactly as good_transport.py does. Run:

    cargo run -q --release -p sim --bin logoff-sim -- conform --role transport \
        --cmd 'python3 examples/providers/buggy_transport.py'

Python 3, standard library only; good_transport.py must sit in the same directory.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # leave no __pycache__ next to the examples

import good_transport  # noqa: E402  (after the path is set)


class BuggyTransport(good_transport.Transport):
    NAME = "buggy_transport.py"

    def send_at_logoff(self, transport, sending):
        # THE MISTAKE: the transport counts the message it was sending as sent when
        # TransportLogoff arrives, as if the send had completed, instead of handing it
        # back to the spooler's queue. Its author read "stop the send" and forgot that
        # the message must come back (R16: "neither sent nor lost, but returns to the
        # spooler's queue"). The message never reaches its recipient and is not sent
        # again: lost mail. (With nothing being sent, it answers as good_transport.py.)
        if sending is not None:
            return "taken_as_sent"
        return super().send_at_logoff(transport, sending)


if __name__ == "__main__":
    sys.exit(good_transport.main(BuggyTransport))
