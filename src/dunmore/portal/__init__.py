"""The debtor's portal: signed links scoped to one customer, one-time codes for anything binding,
and the customer's own actions (dispute, promise, ask for a plan) done through the workspace's
services exactly as a collector's would be."""
