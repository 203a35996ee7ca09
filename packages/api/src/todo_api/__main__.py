from todo_api.cli import main

main()
