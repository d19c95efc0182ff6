"""The workflow engine: workflows/*.toml decide what happens to each understood message.

workflow.py    load and check workflow files
conditions.py  the `when` expressions (Jinja2, sandboxed)
facts.py       what a plan is computed from (message, records, names for conditions)
actions.py     the action registry (file_registration, reply, notify, ...)
effects.py     what a plan asks the shell to do
numbering.py   document and liaison numbers
plan.py        plan(): the pure decision
apply.py       the shell: read records, carry out a plan in the message's transaction
"""
