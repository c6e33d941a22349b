/* placeholder: being written */
typedef int ds_placeholder_wire;
