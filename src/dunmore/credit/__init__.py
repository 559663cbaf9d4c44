"""Credit management: grades, limits, holds, contracts and their schedules."""
