#!/usr/bin/env python3
"""good_store.py: a MAPI store provider that speaks logoff-sim's conformance protocol.

It plays the role of the *store provider* (IMsgStore) of docs/SPEC.md: it keeps the
reference count and the saved logoff mode, decides when to call
IMAPISupport::StoreLogoffTransports, and invalidates the store when that call returns
LOGOFF_COMPLETE. It was written from docs/CONFORM.md alone ("What the reference provider
does") and follows, for every run, the profile knobs sent in the `start` message that
concern a store provider: call_site (A1), input (A7), storelogoff_out (A8),
zero_call (A9) and eager_shared (A10).

Run it under the harness, from the root of the repository:

    cargo run -q --release -p sim --bin logoff-sim -- conform --role store \
        --cmd 'python3 examples/providers/good_store.py'

or by hand, one JSON object per line on standard input (see docs/CONFORM.md,
"An example session"). It answers every message except `bye` with exactly one line on
standard output, carrying the message's "id" (protocol version 2), flushed at once, and exits with status 0 on `bye` or at the end of its
input. Logs go to standard error. Python 3, standard library only.
"""

import json
import sys

# --- Values (CONFORM.md "Values", SPEC.md section 2) ---------------------------------

LOGOFF_NO_WAIT = 0x00000001
LOGOFF_ORDERLY = 0x00000002
LOGOFF_PURGE = 0x00000004
LOGOFF_ABORT = 0x00000008
LOGOFF_QUIET = 0x00000010
LOGOFF_COMPLETE = 0x00010000

MODE_BITS = 0x0000001F    # the five input modes
OUTPUT_BITS = 0x000F0000  # COMPLETE, INBOUND, OUTBOUND, OUTBOUND_QUEUE

# The mode bit -> the name StoreLogoffTransports is called with.
MODE_NAMES = {
    LOGOFF_NO_WAIT: "NO_WAIT",
    LOGOFF_ORDERLY: "ORDERLY",
    LOGOFF_PURGE: "PURGE",
    LOGOFF_ABORT: "ABORT",
    LOGOFF_QUIET: "QUIET",
}

# The knobs a store provider is concerned with, their allowed values; the first one is
# the default reading (SPEC.md section 4), used when `start` does not name the knob.
KNOBS = {
    "call_site": ("deferred", "eager"),            # A1
    "input": ("mask", "strict"),                   # A7
    "storelogoff_out": ("none", "complete"),       # A8
    "zero_call": ("once", "until_complete"),       # A9
    "eager_shared": ("call", "defer"),             # A10
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
RET_S_OK_0 = _line({"type": "return", "hresult": "S_OK", "flags": 0})
RET_S_OK_COMPLETE = _line({"type": "return", "hresult": "S_OK", "flags": LOGOFF_COMPLETE})
RET_INVALID_PARAMETER = _line({"type": "return", "hresult": "MAPI_E_INVALID_PARAMETER", "flags": 0})
RET_INVALID_OBJECT = _line({"type": "return", "hresult": "MAPI_E_INVALID_OBJECT", "flags": 0})
RET_BUSY = _line({"type": "return", "hresult": "MAPI_E_BUSY", "flags": 0})
CALL_TRANSPORTS = {
    mode: _line({"type": "store_logoff_transports", "mode": name})
    for mode, name in MODE_NAMES.items()
}


class ProtocolError(Exception):
    """The harness sent something this program cannot answer within the protocol."""


class StoreProvider:
    """The store object of one run, and the dispatch of the protocol's messages."""

    NAME = "good_store.py"

    def __init__(self):
        # Dispatch tables of bound methods (so that a subclass's overrides count).
        self.calls = {
            "addref": self.addref,
            "release": self.release,
            "store_logoff": self.store_logoff,
            "submit": self.submit,
        }
        self.handlers = {
            "hello": self.on_hello,
            "start": self.on_start,
            "end": self.on_end,
            "call": self.on_call,
            "transports_returned": self.on_transports_returned,
        }
        self.new_run({}, {})

    # --- per-run state ---------------------------------------------------------------

    def new_run(self, profile, setup):
        """`start`: a new store object; forget everything about the previous run."""
        for knob, values in KNOBS.items():
            value = profile.get(knob, values[0])
            if value not in values:
                raise ProtocolError("unknown value %r for knob %s" % (value, knob))
        self.eager = profile.get("call_site", "deferred") == "eager"                # A1
        self.strict = profile.get("input", "mask") == "strict"                      # A7
        self.out_complete = profile.get("storelogoff_out", "none") == "complete"    # A8
        self.until_complete = profile.get("zero_call", "once") == "until_complete"  # A9
        self.eager_defer = profile.get("eager_shared", "call") == "defer"           # A10

        # Each client holds one reference at the start.
        self.count = int(setup.get("clients", 1))
        # The references each client holds (A10 asks whether another client holds one).
        self.held = {client: 1 for client in range(self.count)}
        # R2: the mode of the last valid StoreLogoff (a LOGOFF_ bit), None if none yet.
        self.saved_mode = None
        # Whether this provider has ever called StoreLogoffTransports (A9 `once`).
        self.called = False
        # The call of its own in progress: (client, "release" | "store_logoff"), or None.
        self.in_progress = None
        # R5: set once StoreLogoffTransports returned LOGOFF_COMPLETE. Since every
        # COMPLETE invalidates the store, "no call has returned COMPLETE" (A9
        # `until_complete`) is the same as "the store is still valid".
        self.invalid = False

    def call_transports(self, client, kind, mode):
        """Answer the client's call by calling StoreLogoffTransports with `mode`; the
        call stays blocked until `transports_returned`."""
        self.called = True
        self.in_progress = (client, kind)
        return CALL_TRANSPORTS[mode]

    # --- the client calls --------------------------------------------------------------

    def addref(self, client, msg):
        self.count += 1
        self.held[client] = self.held.get(client, 0) + 1
        return _line({"type": "return", "count": self.count})

    def release(self, client, msg):
        # R6: Release never brings the count below zero.
        if self.count > 0:
            self.count -= 1
        if self.held.get(client, 0) > 0:
            self.held[client] -= 1
        if self.wants_transports_at_release():
            # R4: the recorded mode, or ABORT when no valid StoreLogoff recorded one.
            # Under eager (A1) a recorded mode was passed already, so only ABORT is left,
            # except under eager_shared=defer (A10), where a StoreLogoff made while another
            # client held a reference saved its mode without a call.
            if self.saved_mode is None or self.called or (self.eager and not self.eager_defer):
                mode = LOGOFF_ABORT
            else:
                mode = self.saved_mode
            return self.call_transports(client, "release", mode)
        return _line({"type": "return", "count": self.count})

    def wants_transports_at_release(self):
        """Whether this Release calls StoreLogoffTransports (R4, A9); called after the
        count went down."""
        # R4: only at zero, on a valid store. With a call of its own in progress, no
        # second one (this cannot happen here: a client blocked in StoreLogoff still
        # holds a reference, and a blocked Release left none to anyone).
        if self.count != 0 or self.invalid or self.in_progress is not None:
            return False
        if self.until_complete:
            # A9 until_complete: unless an earlier call returned COMPLETE, which would
            # have invalidated the store (checked above).
            return True
        # A9 once: only if no call was ever made, even one that returned without COMPLETE.
        return not self.called

    def store_logoff(self, client, msg):
        # R5: on an invalid store, before looking at the flags.
        if self.invalid:
            return RET_INVALID_OBJECT
        # R1: exactly one of the five modes, no undefined bit; A7 for output bits.
        flags = msg["flags"]
        if flags & ~(MODE_BITS | OUTPUT_BITS):
            return RET_INVALID_PARAMETER            # an undefined bit
        if self.strict and flags & OUTPUT_BITS:
            return RET_INVALID_PARAMETER            # A7 strict: output bits on input
        mode = flags & MODE_BITS                    # A7 mask: output bits ignored
        if mode not in MODE_NAMES:
            return RET_INVALID_PARAMETER            # no mode, or more than one
        # A call of its own is in progress (another client's): MAPI_E_BUSY, the
        # model's decision 7 (MODEL.md; CONFORM.md "call").
        if self.in_progress is not None:
            return RET_BUSY
        self.saved_mode = mode                      # R2: the last valid mode wins
        shared = any(count > 0 for other, count in self.held.items() if other != client)
        if self.eager and not (self.eager_defer and shared):
            # A1 eager: StoreLogoffTransports now, with the recorded mode (R3).
            return self.call_transports(client, "store_logoff", mode)
        # A1 deferred (or A10 defer while another client holds a reference): save the
        # flags only; A8 says what StoreLogoff writes back.
        return RET_S_OK_COMPLETE if self.out_complete else RET_S_OK_0

    def submit(self, client, msg):
        # R5: every call but AddRef and Release fails on an invalid store.
        return RET_INVALID_OBJECT if self.invalid else RET_S_OK_0

    # --- the messages --------------------------------------------------------------------

    def on_hello(self, msg):
        if msg.get("role", "store") != "store":
            raise ProtocolError("this program plays the store role only, not %r" % msg.get("role"))
        return _line({"type": "hello", "version": 2, "name": self.NAME})

    def on_start(self, msg):
        self.new_run(msg.get("profile") or {}, msg.get("setup") or {})
        return READY

    def on_end(self, msg):
        """`end`: the run is over (nothing to do: the next `start` begins a new one)."""
        return END

    def on_call(self, msg):
        call = self.calls.get(msg["call"])
        if call is None:
            raise ProtocolError("unknown call %r" % msg["call"])
        return call(msg["client"], msg)

    def on_transports_returned(self, msg):
        """StoreLogoffTransports returned: act on its flags (R5) and let the blocked
        client call return."""
        if self.in_progress is None:
            raise ProtocolError("transports_returned while no StoreLogoffTransports call is in progress")
        client, kind = self.in_progress
        if msg["client"] != client:
            log("transports_returned names client %r, the call was made by client %r" % (msg["client"], client))
        self.in_progress = None
        flags = msg["flags"]
        if msg.get("other_process"):
            # R7: the spooler ignored the call; a real provider cannot know. Log only.
            log("StoreLogoffTransports ignored: another process has the store open")
        # R5: LOGOFF_COMPLETE -> invalidate the store object (MakeInvalid).
        invalidate = bool(flags & LOGOFF_COMPLETE)
        if invalidate:
            self.invalid = True
        if kind == "store_logoff":
            # A1 eager: StoreLogoff returns S_OK with the flags it got, unchanged.
            answer = {"type": "after_transports", "invalidate": invalidate, "hresult": "S_OK", "flags": flags}
        else:
            # The blocked Release returns the reference count.
            answer = {"type": "after_transports", "invalidate": invalidate, "count": self.count}
        return _line(answer)


def log(text):
    sys.stderr.write("%s: %s\n" % (sys.argv[0].rsplit("/", 1)[-1], text))
    sys.stderr.flush()


def main(provider_class=StoreProvider):
    """Read stdin line by line; answer each message with one flushed line; exit 0 on
    `bye` or at the end of input, 2 on a protocol error (logged to stderr)."""
    provider = provider_class()
    handlers = provider.handlers
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
