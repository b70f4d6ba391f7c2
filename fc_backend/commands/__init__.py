"""The command line's subcommands beyond score/render/demo/spot, each in its own module.

They drive the stages from above (the pipeline, the reviewers, the metrics), so they live here and
not in the stage folders: no stage imports the pipeline or the command line.
"""
