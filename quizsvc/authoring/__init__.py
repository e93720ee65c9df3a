"""What an assignment package's own code may use: ``gradekit`` (documented in
docs/assignment-format.md). It is service code, but it runs inside the sandbox next to the
package's code, so it imports nothing but the standard library and NumPy."""
