"""Credit management: grades earned from payment history, credit limits and holds, contracts."""
