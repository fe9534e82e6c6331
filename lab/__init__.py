"""kcrashd crash lab: real kernel panics and real kdump dumps on demand."""
