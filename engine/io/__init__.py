"""The engine's I/O: the store and its one writer, the clock's set-based SQL, Graphviz rendering."""
