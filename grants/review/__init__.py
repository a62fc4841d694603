"""The officer's side of a request: queue, assignment, analysis grid, information requests, decision."""
