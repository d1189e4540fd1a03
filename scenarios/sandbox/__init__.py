"""The sandbox: running jobs under bubblewrap, collecting what they write."""
