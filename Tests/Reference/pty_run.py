"""Runs a program with a pseudo-terminal as its stdin, stdout, stderr and
controlling terminal, as a terminal emulator would, and saves everything it
wrote. Optionally answers a Primary Device Attributes query (ESC [ c) the way
a terminal does.

  pty_run.py OUT [--answer-da TEXT] -- PROGRAM ARGS...

TEXT may use \\e for ESC. Prints the program's exit status.
"""
import os
import pty
import select
import sys


def main(argv):
    out = argv[1]
    answer = None
    rest = argv[2:]
    if rest[0] == "--answer-da":
        answer = rest[1].replace("\\e", "\x1b").encode()
        rest = rest[2:]
    assert rest[0] == "--"
    command = rest[1:]
    pid, master = pty.fork()
    if pid == 0:
        os.execv(command[0], command)
    output = b""
    answered = False
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the program closed the terminal (exited)
            break
        if not data:
            break
        output += data
        if answer is not None and not answered and b"\x1b[c" in output:
            os.write(master, answer)
            answered = True
    _, status = os.waitpid(pid, 0)
    with open(out, "wb") as f:
        f.write(output)
    print(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main(sys.argv)
