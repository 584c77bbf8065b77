// Training-time I/O: caption files, feature caches, progress.
