"""File formats at the edge of the pipeline: seconds in, ticks only inside the file."""
