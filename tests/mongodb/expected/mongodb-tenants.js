// + collection chat_public.client_configs
db.getSiblingDB("chat_public").runCommand({create: "client_configs"});
// + index chat_public.client_configs.idx_billing_status_updated
db.getSiblingDB("chat_public").runCommand({createIndexes: "client_configs", indexes: [{key: {"billing.status": 1, updated_at: -1}, name: "idx_billing_status_updated"}]});
// + index chat_public.client_configs.idx_config_id
db.getSiblingDB("chat_public").runCommand({createIndexes: "client_configs", indexes: [{key: {client_id: 1}, name: "idx_config_id", unique: true}]});
// + index chat_public.client_configs.idx_config_schema
db.getSiblingDB("chat_public").runCommand({createIndexes: "client_configs", indexes: [{key: {schema_name: 1}, name: "idx_config_schema", unique: true}]});
// + index chat_public.client_configs.idx_created_at
db.getSiblingDB("chat_public").runCommand({createIndexes: "client_configs", indexes: [{key: {created_at: -1}, name: "idx_created_at"}]});
// + index chat_public.client_configs.idx_updated_at
db.getSiblingDB("chat_public").runCommand({createIndexes: "client_configs", indexes: [{key: {updated_at: -1}, name: "idx_updated_at"}]});
// + index chat_public.client_configs.idx_whatsapp_display_phone
db.getSiblingDB("chat_public").runCommand({createIndexes: "client_configs", indexes: [{key: {"whatsapp.display_phone_number": 1}, name: "idx_whatsapp_display_phone", sparse: true}]});
