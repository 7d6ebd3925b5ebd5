"""`python -m demo`: what `make run` starts."""

from demo.run import main

main()
