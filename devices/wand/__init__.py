"""Handheld-wand result entry. Wands have no data port (audio, LED, vibration only), so the
operator reports the result on two keys (CLEAR / METAL FOUND), optionally with a holster
switch that shows the wand was actually lifted. The dashboard desk page offers the same
choice through the node's `wand_result` command."""
