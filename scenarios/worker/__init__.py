"""The worker's side of the scenarios: a job's start, run, finish and reaping (jobs), a
workspace's build (workspaces), beat's reconciler (reconcile). Called by scenarios.tasks,
which take ids; nothing here imports the tasks (scenarios.queue sends them by name)."""
