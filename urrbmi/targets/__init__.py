"""Enrollment targets: task tables (参保任务数), reductions, progress against targets, incentives,
funding arithmetic, bulletins (通报) and charts. Pure computation; see docs/targets.md."""
