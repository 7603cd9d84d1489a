"""The command line both checks share: check_*.py [ROOT] prints one line per problem and a count,
and exits 1 when there is any."""
import os
import sys


def run(label, problems_in):
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    problems = problems_in(root)
    for p in problems:
        print(p)
    print("%s: %d problem(s)" % (label, len(problems)))
    return 1 if problems else 0
