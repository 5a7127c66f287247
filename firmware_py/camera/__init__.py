"""The camera node application: capture threads, analysis loop, events, clips, live view."""
