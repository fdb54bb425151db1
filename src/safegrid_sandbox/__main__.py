from safegrid_sandbox.cli import main

main()
