#!/usr/bin/env python3
"""good_transport.py: MAPI transport providers that speak logoff-sim's conformance protocol.

It plays the role of every *transport provider* (IXPLogon) of docs/SPEC.md, with
`--role transport`: it is asked what a transport does when IXPLogon::TransportLogoff
reaches it and when that call returns. It was written from docs/CONFORM.md alone ("A
transport") and keeps the protocol: the message being sent goes back to the spooler's
queue (R16), a receive in progress stops (its message stays available at its source),
and when TransportLogoff returns `ok` the provider calls MakeInvalid on its logon object
and then releases its support object, as the very last thing (R17); when it returns
`error`, it makes no call (the transport is logged off just the same, R18).

Run it under the harness, from the root of the repository:

    cargo run -q --release -p sim --bin logoff-sim -- conform --role transport \
        --cmd 'python3 examples/providers/good_transport.py'

It answers every message except `bye` with exactly one line on standard output, carrying
the message's "id" (protocol version 2), flushed at once, and exits with status 0 on `bye` or at the end of its input (2, with a line on
standard error, on a message it cannot answer within the protocol). Logs go to standard
error. Python 3, standard library only.
"""

import json
import sys


def _line(obj):
    """One protocol line, encoded once: compact JSON and the `\\n` that ends it."""
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode("utf-8")


def with_id(line, msg):
    """An answer line with the id of the message it answers (`"id":N` before its closing brace): the harness
    tells a second answer to an earlier message from the answer it waits for by this id."""
    return b"%s,\"id\":%d}\n" % (line[:-2], msg["id"])


# Answers that never change are encoded once, at load time.
READY = _line({"type": "ready"})
END = _line({"type": "end"})
CALLS_OK = _line({"type": "calls", "calls": ["make_invalid", "release_support"]})  # R17
CALLS_NONE = _line({"type": "calls", "calls": []})                                 # R18


class ProtocolError(Exception):
    """The harness sent something this program cannot answer within the protocol."""


class Transport:
    """The transports of one run, and the dispatch of the protocol's messages. A
    transport's answers depend only on the message (the work in progress it names), so
    there is no state to keep across messages or runs."""

    NAME = "good_transport.py"

    def __init__(self):
        # Dispatch table of bound methods (so that a subclass's overrides count).
        self.handlers = {
            "hello": self.on_hello,
            "start": self.on_start,
            "end": self.on_end,
            "logoff": self.on_logoff,
            "logoff_returned": self.on_logoff_returned,
        }

    # --- the decisions -------------------------------------------------------------------

    def send_at_logoff(self, transport, sending):
        """What becomes of the message being sent when TransportLogoff arrives: R16, it
        is neither sent nor lost but goes back to the spooler's queue."""
        return "requeued"

    def stop_receive_at_logoff(self, transport, receiving):
        """Whether a receive in progress stops (its message available again at its
        source; SPEC.md "At spooler logoff tJ")."""
        return True

    def on_logoff(self, msg):
        """IXPLogon::TransportLogoff reached transport `msg["transport"]`."""
        transport = msg["transport"]
        answer = {
            "type": "logoff",
            "send": self.send_at_logoff(transport, msg.get("sending")),
            "stop_receive": self.stop_receive_at_logoff(transport, msg.get("receiving")),
        }
        return _line(answer)

    def on_logoff_returned(self, msg):
        """TransportLogoff returned: the calls the provider makes, in order."""
        outcome = msg["outcome"]
        if outcome == "ok":
            # R17: MakeInvalid on the logon object, then release the support object last.
            return CALLS_OK
        if outcome == "error":
            # R18: logged off just the same; the provider makes no call.
            return CALLS_NONE
        raise ProtocolError("unknown outcome %r" % outcome)

    # --- the framing messages ------------------------------------------------------------

    def on_hello(self, msg):
        if msg.get("role", "transport") != "transport":
            raise ProtocolError("this program plays the transport role only, not %r" % msg.get("role"))
        return _line({"type": "hello", "version": 2, "name": self.NAME})

    def on_start(self, msg):
        return READY

    def on_end(self, msg):
        """`end`: the run is over (nothing to do: the next `start` begins a new one)."""
        return END


def log(text):
    sys.stderr.write("%s: %s\n" % (sys.argv[0].rsplit("/", 1)[-1], text))
    sys.stderr.flush()


def main(role_class=Transport):
    """Read stdin line by line; answer each message with one flushed line; exit 0 on
    `bye` or at the end of input, 2 on a protocol error (logged to stderr)."""
    role = role_class()
    handlers = role.handlers
    loads = json.loads
    out = sys.stdout.buffer
    write = out.write
    flush = out.flush
    for raw in sys.stdin.buffer:
        try:
            msg = loads(raw)                        # bytes; a trailing \r\n is white space
        except ValueError:
            if raw.strip():
                log("not a JSON line: %r" % raw[:200])
                return 2
            continue                                # a blank line: nothing to answer
        try:
            kind = msg["type"]
            if kind == "bye":
                return 0
            handler = handlers.get(kind)
            if handler is None:
                raise ProtocolError("unknown message type %r" % kind)
            answer = handler(msg)
        except (ProtocolError, KeyError, TypeError) as error:
            log("cannot answer %r: %s" % (raw[:200], error))
            return 2
        write(with_id(answer, msg))
        flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
