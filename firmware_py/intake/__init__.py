"""The intake desk node: the mandatory-check state machine (`machine`), its thin loop and
device wiring (`app.IntakeApp`), configuration (`config.IntakeConfig`) and the scripted
arrivals of the simulate mode (`scenario`). docs/intake.md explains the workflow."""
