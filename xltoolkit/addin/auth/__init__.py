"""Authentication providers picked up by xlwings-server from the add-in project folder."""
