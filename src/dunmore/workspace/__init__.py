"""The collector's workspace: activities, promises, disputes, tasks, alerts and the worklist."""
