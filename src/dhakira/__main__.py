from dhakira.cli import main

main()
