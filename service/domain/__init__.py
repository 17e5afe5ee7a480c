"""Pure domain: events, decisions and state folds. Standard library only."""
