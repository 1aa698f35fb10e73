#!/usr/bin/env python3
"""Runs a command under a pseudo-terminal of a given size and prints what it
wrote (stdout and stderr both go to the terminal), with line ends as \\n.

    pty_run.py COLUMNS ROWS COMMAND [ARGS...]

Exit status: the command's."""
import fcntl
import os
import pty
import struct
import sys
import termios


def main() -> int:
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    argv = sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.environ.pop("COLUMNS", None)
        os.execvp(argv[0], argv)
    out = bytearray()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(bytes(out).replace(b"\r\n", b"\n"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
