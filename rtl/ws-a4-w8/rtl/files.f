mxf_delay.sv
mxf_ws_pe.sv
mxf_ws_array.sv
mxf_ws_array_stream.sv
