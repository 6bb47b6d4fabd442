from reconciler.cli import process_main

process_main()
