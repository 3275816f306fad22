mxf_delay_en.sv
mxf_fq_dec.sv
mxf_fq_wlink.sv
mxf_fq_pe.sv
mxf_fq_array.sv
