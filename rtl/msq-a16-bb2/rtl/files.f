mxf_delay_en.sv
mxf_msq_mul.sv
mxf_msq_pe.sv
mxf_msq_recon_ub.sv
mxf_msq_array.sv
