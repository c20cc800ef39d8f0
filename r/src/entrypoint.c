// The package's shared library: registers the Rust functions (extendr) with R.
void R_init_endotrial_extendr(void *dll);

void R_init_endotrial(void *dll) { R_init_endotrial_extendr(dll); }
