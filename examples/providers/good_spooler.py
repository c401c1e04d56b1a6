#!/usr/bin/env python3
"""good_spooler.py: a MAPI spooler that speaks logoff-sim's conformance protocol.

It plays the role of the *MAPI spooler* (IMAPISupport::StoreLogoffTransports and the
calls of IXPLogon::TransportLogoff) of docs/SPEC.md, with `--role spooler`: it is asked
only for its decisions about the store's logoff, and answers each one with the plan the
model's own spooler would carry out. It was written from docs/CONFORM.md alone ("The
spooler and transport roles", "The model's own spooler") and follows, for every run, the
profile knobs sent in the `start` message that concern a spooler: orderly (A2), abort
(A3), queue_is_activity (A4), purge_flush (A5) and transport_logoff_flags (A6).

Run it under the harness, from the root of the repository:

    cargo run -q --release -p sim --bin logoff-sim -- conform --role spooler \
        --cmd 'python3 examples/providers/good_spooler.py'

It answers every message except `bye` with exactly one line on standard output, carrying
the message's "id" (protocol version 2), flushed at once, and exits with status 0 on `bye` or at the end of its input (2, with a line on
standard error, on a message it cannot answer within the protocol). Logs go to standard
error. Python 3, standard library only.
"""

import json
import sys

# --- Values (CONFORM.md "Values", SPEC.md section 2) ---------------------------------

LOGOFF_COMPLETE = 0x00010000
LOGOFF_INBOUND = 0x00020000
LOGOFF_OUTBOUND = 0x00040000
LOGOFF_OUTBOUND_QUEUE = 0x00080000
ACTIVITY_BITS = LOGOFF_INBOUND | LOGOFF_OUTBOUND | LOGOFF_OUTBOUND_QUEUE

FLUSH_UPLOAD = 0x2
FLUSH_DOWNLOAD = 0x4
LOGOFF_NORMAL = 0x1  # TransportLogoff's flags under transport_logoff_flags=normal (A6)

MODES = ("NO_WAIT", "ORDERLY", "PURGE", "ABORT", "QUIET")
BLOCKING_MODES = ("NO_WAIT", "ORDERLY", "PURGE")

# The knobs a spooler is concerned with, their allowed values; the first one is the
# default reading (SPEC.md section 4), used when `start` does not name the knob.
KNOBS = {
    "orderly": ("keep", "drain"),                   # A2
    "abort": ("refuse", "stop"),                    # A3
    "queue_is_activity": ("yes", "no"),             # A4
    "purge_flush": ("upload", "both"),              # A5
    "transport_logoff_flags": ("zero", "normal"),   # A6
}


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
KEEP_WAITING = _line({"type": "may_return", "flags": None})
# R7: another process has the store open: COMPLETE and nothing else, nothing changes.
PLAN_OTHER_PROCESS = _line({
    "type": "plan", "stop_activity": False, "flush": None, "flush_logged_off": False,
    "release_store": False, "outcome": "return", "flags": LOGOFF_COMPLETE,
    "other_process": True, "stop_serving": False,
})


def plan_release(stop_activity):
    """ABORT or QUIET that takes place: (stop the activity,) release the store and
    return COMPLETE with the activity left once the plan is done (R8, R9, R13, R14)."""
    return _line({
        "type": "plan", "stop_activity": stop_activity, "flush": None, "flush_logged_off": False,
        "release_store": True, "outcome": "return", "flags": "complete_and_activity",
        "other_process": False, "stop_serving": False,
    })


def plan_refuse(flags):
    """ABORT or QUIET refused: no logoff, nothing changes; the activity flags (R8, R9, R13)."""
    return _line({
        "type": "plan", "stop_activity": False, "flush": None, "flush_logged_off": False,
        "release_store": False, "outcome": "return", "flags": flags,
        "other_process": False, "stop_serving": False,
    })


def plan_block(flush, sends):
    """NO_WAIT, ORDERLY or PURGE: the call blocks and reception stops (R10-R12);
    PURGE flushes every logged-on transport not flushing and awaits the flushes (R12);
    `sends`: new sends may start while it waits (A2: not for ORDERLY under orderly=keep)."""
    return _line({
        "type": "plan", "stop_activity": False, "flush": flush, "flush_logged_off": False,
        "release_store": False, "outcome": "block", "await_flushes": flush is not None,
        "sends": sends, "receives": False,
    })


PLAN_RELEASE = plan_release(False)
PLAN_STOP_AND_RELEASE = plan_release(True)


class ProtocolError(Exception):
    """The harness sent something this program cannot answer within the protocol."""


class Spooler:
    """The spooler of one run, and the dispatch of the protocol's messages."""

    NAME = "good_spooler.py"

    def __init__(self):
        # Dispatch table of bound methods (so that a subclass's overrides count).
        self.handlers = {
            "hello": self.on_hello,
            "start": self.on_start,
            "end": self.on_end,
            "store_logoff_transports": self.on_store_logoff_transports,
            "may_return": self.on_may_return,
            "transport_logoff": self.on_transport_logoff,
        }
        self.new_run({})

    # --- per-run state ---------------------------------------------------------------

    def new_run(self, profile):
        """`start`: a new run; forget everything about the previous one. The spooler's
        decisions depend only on the profile and on the `world` each message carries."""
        for knob, values in KNOBS.items():
            value = profile.get(knob, values[0])
            if value not in values:
                raise ProtocolError("unknown value %r for knob %s" % (value, knob))
        self.orderly_keep = profile.get("orderly", "keep") == "keep"                    # A2
        self.abort_stop = profile.get("abort", "refuse") == "stop"                      # A3
        self.queue_is_activity = profile.get("queue_is_activity", "yes") == "yes"       # A4
        both = profile.get("purge_flush", "upload") == "both"                           # A5
        self.purge_flush = FLUSH_UPLOAD | FLUSH_DOWNLOAD if both else FLUSH_UPLOAD
        normal = profile.get("transport_logoff_flags", "zero") == "normal"              # A6
        self.transport_logoff = _line({
            "type": "transport_logoff", "discard_address_types": True,                  # R15
            "flags": LOGOFF_NORMAL if normal else 0, "forget_awaited_flush": True,      # A6, R21
        })

    # --- the decisions -------------------------------------------------------------------

    def activity_for_abort(self, activity):
        """"Transport activity" for ABORT and QUIET (R8, R9, A4): a send or a receive in
        progress, and under queue_is_activity=yes a queue that is not empty."""
        kinds = LOGOFF_INBOUND | LOGOFF_OUTBOUND
        if self.queue_is_activity:
            kinds |= LOGOFF_OUTBOUND_QUEUE
        return activity & kinds

    def on_store_logoff_transports(self, msg):
        mode = msg["mode"]
        if mode not in MODES:
            raise ProtocolError("unknown mode %r" % mode)
        world = msg["world"]
        # R7 first: another process has the store open; decided when the call starts.
        if world["other"] > 0:
            return PLAN_OTHER_PROCESS
        activity = world["activity"] & ACTIVITY_BITS
        if mode in ("ABORT", "QUIET"):
            if self.activity_for_abort(activity):
                if mode == "ABORT" and self.abort_stop:
                    # A3 stop: stop the sends (back to the queue) and receives, release.
                    return PLAN_STOP_AND_RELEASE
                # QUIET, or ABORT under A3 refuse: no logoff, nothing changes; the
                # activity flags as they are now (R13).
                return plan_refuse(activity)
            # No activity: release the store and return COMPLETE (and the activity
            # left, R13: under queue_is_activity=no, OUTBOUND_QUEUE may be among it).
            return PLAN_RELEASE
        # NO_WAIT, ORDERLY and PURGE block; PURGE flushes and awaits the flushes (R12).
        sends = not (mode == "ORDERLY" and self.orderly_keep)                          # A2
        return plan_block(self.purge_flush if mode == "PURGE" else None, sends)

    def on_may_return(self, msg):
        """A blocking call is in progress: may it return now (R10, R11, R12, A2)?"""
        mode = msg["mode"]
        if mode not in BLOCKING_MODES:
            raise ProtocolError("may_return for the non-blocking mode %r" % mode)
        world = msg["world"]
        activity = world["activity"] & ACTIVITY_BITS
        transports = world["transports"]
        # Nothing being sent or received.
        if activity & (LOGOFF_INBOUND | LOGOFF_OUTBOUND):
            return KEEP_WAITING
        for transport in transports:
            if transport.get("sending") is not None or transport.get("receiving") is not None:
                return KEEP_WAITING
        # Except ORDERLY under orderly=keep: no queued message can still be sent by a
        # logged-on transport.
        if not (mode == "ORDERLY" and self.orderly_keep) and activity & LOGOFF_OUTBOUND_QUEUE:
            if any(t.get("state") == "logged-on" for t in transports):
                return KEEP_WAITING
        # PURGE: no flush awaited any more.
        if mode == "PURGE" and msg.get("flushes_awaited", 0):
            return KEEP_WAITING
        # Return with COMPLETE and the activity (the spooler releases the store, R14).
        return _line({"type": "may_return", "flags": LOGOFF_COMPLETE | activity})

    def on_transport_logoff(self, msg):
        """TransportLogoff: discard the address types first (R15), the flags of A6, and
        a PURGE in progress stops waiting for that transport's flush (R21)."""
        return self.transport_logoff

    # --- the framing messages ------------------------------------------------------------

    def on_hello(self, msg):
        if msg.get("role", "spooler") != "spooler":
            raise ProtocolError("this program plays the spooler role only, not %r" % msg.get("role"))
        return _line({"type": "hello", "version": 2, "name": self.NAME})

    def on_start(self, msg):
        self.new_run(msg.get("profile") or {})
        return READY

    def on_end(self, msg):
        """`end`: the run is over (nothing to do: the next `start` begins a new one)."""
        return END


def log(text):
    sys.stderr.write("%s: %s\n" % (sys.argv[0].rsplit("/", 1)[-1], text))
    sys.stderr.flush()


def main(role_class=Spooler):
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
