"""Production scheduling (AI+ 生产计划): orders and routings to optimised, checkable schedules.

The pure core (``problem``, ``readers``, ``heuristics``, ``solve``, ``check``, ``gantt``,
``reschedule``) imports neither SQLAlchemy nor FastAPI; OR-Tools is confined to ``cpsat/``.

>>> from yuzhi.schedule.problem import Problem
>>> from yuzhi.schedule.solve import solve
>>> p = Problem.from_dict({"machines": [{"name": "M0"}],
...                        "jobs": [{"operations": [{"modes": [[0, 3]]}]}]})
>>> solve(p, time_limit=1).makespan
3
"""
