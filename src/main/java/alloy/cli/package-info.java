/**
 * The {@code alloy} command line: one picocli class per command, wiring the packages below; the only package
 * that imports picocli, and the only one that prints for a person. Every failure is one line naming the file,
 * tensor or key.
 */
package alloy.cli;
