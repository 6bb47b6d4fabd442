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
// + collection chat_tenant_acme.conversations
db.getSiblingDB("chat_tenant_acme").runCommand({create: "conversations"});
// + index chat_tenant_acme.conversations.idx_conversations_closed
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {closed_at: -1}, name: "idx_conversations_closed", sparse: true}]});
// + index chat_tenant_acme.conversations.idx_conversations_created
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {created_at: -1}, name: "idx_conversations_created"}]});
// + index chat_tenant_acme.conversations.idx_conversations_last_activity
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {last_activity_at: -1}, name: "idx_conversations_last_activity"}]});
// + index chat_tenant_acme.conversations.idx_conversations_status_activity
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {status: 1, last_activity_at: -1}, name: "idx_conversations_status_activity"}]});
// + index chat_tenant_acme.conversations.idx_conversations_status_user
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {status: 1, user_phone: 1}, name: "idx_conversations_status_user"}]});
// + index chat_tenant_acme.conversations.idx_conversations_user_phone
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {user_phone: 1}, name: "idx_conversations_user_phone", unique: true}]});
// + index chat_tenant_acme.conversations.idx_conversations_window_expiration
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {"whatsapp_window.expires_at": 1}, name: "idx_conversations_window_expiration"}]});
// + index chat_tenant_acme.conversations.idx_conversations_window_status
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "conversations", indexes: [{key: {"whatsapp_window.is_open": 1, status: 1}, name: "idx_conversations_window_status"}]});
// + collection chat_tenant_acme.messages
db.getSiblingDB("chat_tenant_acme").runCommand({create: "messages", validator: {$jsonSchema: {bsonType: "object", required: ["message_id", "conversation_id", "direction", "sender_type", "timestamp"], properties: {message_id: {bsonType: "string"}, conversation_id: {bsonType: ["string", "objectId"]}, whatsapp_message_id: {bsonType: "string"}, direction: {enum: ["inbound", "outbound"]}, sender_type: {enum: ["user", "bot", "agent"]}, status: {enum: ["pending", "sent", "delivered", "read", "failed"]}, ai_generated: {bsonType: "bool"}, timestamp: {bsonType: "date"}, read_at: {bsonType: ["date", "null"]}}}}, validationLevel: "strict", validationAction: "error"});
// + index chat_tenant_acme.messages.idx_messages_ai_generated
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {ai_generated: 1, timestamp: -1}, name: "idx_messages_ai_generated", sparse: true}]});
// + index chat_tenant_acme.messages.idx_messages_conversation_direction_timestamp
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, direction: 1, timestamp: -1}, name: "idx_messages_conversation_direction_timestamp"}]});
// + index chat_tenant_acme.messages.idx_messages_conversation_sender_timestamp
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, sender_type: 1, timestamp: -1}, name: "idx_messages_conversation_sender_timestamp"}]});
// + index chat_tenant_acme.messages.idx_messages_conversation_timestamp
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, timestamp: 1}, name: "idx_messages_conversation_timestamp"}]});
// + index chat_tenant_acme.messages.idx_messages_conversation_timestamp_desc
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, timestamp: -1}, name: "idx_messages_conversation_timestamp_desc"}]});
// + index chat_tenant_acme.messages.idx_messages_direction
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {direction: 1}, name: "idx_messages_direction"}]});
// + index chat_tenant_acme.messages.idx_messages_message_id
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {message_id: 1}, name: "idx_messages_message_id", unique: true}]});
// + index chat_tenant_acme.messages.idx_messages_read_at
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {read_at: 1}, name: "idx_messages_read_at", sparse: true}]});
// + index chat_tenant_acme.messages.idx_messages_sender
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {sender_type: 1}, name: "idx_messages_sender"}]});
// + index chat_tenant_acme.messages.idx_messages_status_timestamp
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {status: 1, timestamp: -1}, name: "idx_messages_status_timestamp", sparse: true}]});
// + index chat_tenant_acme.messages.idx_messages_timestamp
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {timestamp: -1}, name: "idx_messages_timestamp"}]});
// + index chat_tenant_acme.messages.idx_messages_whatsapp_message_id
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "messages", indexes: [{key: {whatsapp_message_id: 1}, name: "idx_messages_whatsapp_message_id", sparse: true}]});
// + index chat_tenant_acme.config.idx_billing_status_updated
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "config", indexes: [{key: {"billing.status": 1, updated_at: -1}, name: "idx_billing_status_updated"}]});
// + index chat_tenant_acme.config.idx_config_created
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "config", indexes: [{key: {created_at: -1}, name: "idx_config_created"}]});
// + index chat_tenant_acme.config.idx_config_id  [hazards: may_fail_on_data]
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "config", indexes: [{key: {client_id: 1}, name: "idx_config_id", unique: true}]});
// + index chat_tenant_acme.config.idx_config_schema  [hazards: may_fail_on_data]
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "config", indexes: [{key: {schema_name: 1}, name: "idx_config_schema", unique: true}]});
// + index chat_tenant_acme.config.idx_config_updated
db.getSiblingDB("chat_tenant_acme").runCommand({createIndexes: "config", indexes: [{key: {updated_at: -1}, name: "idx_config_updated"}]});
// + collection chat_tenant_globex.conversations
db.getSiblingDB("chat_tenant_globex").runCommand({create: "conversations"});
// + index chat_tenant_globex.conversations.idx_conversations_closed
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {closed_at: -1}, name: "idx_conversations_closed", sparse: true}]});
// + index chat_tenant_globex.conversations.idx_conversations_created
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {created_at: -1}, name: "idx_conversations_created"}]});
// + index chat_tenant_globex.conversations.idx_conversations_last_activity
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {last_activity_at: -1}, name: "idx_conversations_last_activity"}]});
// + index chat_tenant_globex.conversations.idx_conversations_status_activity
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {status: 1, last_activity_at: -1}, name: "idx_conversations_status_activity"}]});
// + index chat_tenant_globex.conversations.idx_conversations_status_user
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {status: 1, user_phone: 1}, name: "idx_conversations_status_user"}]});
// + index chat_tenant_globex.conversations.idx_conversations_user_phone
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {user_phone: 1}, name: "idx_conversations_user_phone", unique: true}]});
// + index chat_tenant_globex.conversations.idx_conversations_window_expiration
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {"whatsapp_window.expires_at": 1}, name: "idx_conversations_window_expiration"}]});
// + index chat_tenant_globex.conversations.idx_conversations_window_status
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "conversations", indexes: [{key: {"whatsapp_window.is_open": 1, status: 1}, name: "idx_conversations_window_status"}]});
// + collection chat_tenant_globex.messages
db.getSiblingDB("chat_tenant_globex").runCommand({create: "messages", validator: {$jsonSchema: {bsonType: "object", required: ["message_id", "conversation_id", "direction", "sender_type", "timestamp"], properties: {message_id: {bsonType: "string"}, conversation_id: {bsonType: ["string", "objectId"]}, whatsapp_message_id: {bsonType: "string"}, direction: {enum: ["inbound", "outbound"]}, sender_type: {enum: ["user", "bot", "agent"]}, status: {enum: ["pending", "sent", "delivered", "read", "failed"]}, ai_generated: {bsonType: "bool"}, timestamp: {bsonType: "date"}, read_at: {bsonType: ["date", "null"]}}}}, validationLevel: "strict", validationAction: "error"});
// + index chat_tenant_globex.messages.idx_messages_ai_generated
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {ai_generated: 1, timestamp: -1}, name: "idx_messages_ai_generated", sparse: true}]});
// + index chat_tenant_globex.messages.idx_messages_conversation_direction_timestamp
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, direction: 1, timestamp: -1}, name: "idx_messages_conversation_direction_timestamp"}]});
// + index chat_tenant_globex.messages.idx_messages_conversation_sender_timestamp
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, sender_type: 1, timestamp: -1}, name: "idx_messages_conversation_sender_timestamp"}]});
// + index chat_tenant_globex.messages.idx_messages_conversation_timestamp
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, timestamp: 1}, name: "idx_messages_conversation_timestamp"}]});
// + index chat_tenant_globex.messages.idx_messages_conversation_timestamp_desc
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, timestamp: -1}, name: "idx_messages_conversation_timestamp_desc"}]});
// + index chat_tenant_globex.messages.idx_messages_direction
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {direction: 1}, name: "idx_messages_direction"}]});
// + index chat_tenant_globex.messages.idx_messages_message_id
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {message_id: 1}, name: "idx_messages_message_id", unique: true}]});
// + index chat_tenant_globex.messages.idx_messages_read_at
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {read_at: 1}, name: "idx_messages_read_at", sparse: true}]});
// + index chat_tenant_globex.messages.idx_messages_sender
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {sender_type: 1}, name: "idx_messages_sender"}]});
// + index chat_tenant_globex.messages.idx_messages_status_timestamp
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {status: 1, timestamp: -1}, name: "idx_messages_status_timestamp", sparse: true}]});
// + index chat_tenant_globex.messages.idx_messages_timestamp
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {timestamp: -1}, name: "idx_messages_timestamp"}]});
// + index chat_tenant_globex.messages.idx_messages_whatsapp_message_id
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "messages", indexes: [{key: {whatsapp_message_id: 1}, name: "idx_messages_whatsapp_message_id", sparse: true}]});
// + index chat_tenant_globex.config.idx_billing_status_updated
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "config", indexes: [{key: {"billing.status": 1, updated_at: -1}, name: "idx_billing_status_updated"}]});
// + index chat_tenant_globex.config.idx_config_created
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "config", indexes: [{key: {created_at: -1}, name: "idx_config_created"}]});
// + index chat_tenant_globex.config.idx_config_id  [hazards: may_fail_on_data]
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "config", indexes: [{key: {client_id: 1}, name: "idx_config_id", unique: true}]});
// + index chat_tenant_globex.config.idx_config_schema  [hazards: may_fail_on_data]
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "config", indexes: [{key: {schema_name: 1}, name: "idx_config_schema", unique: true}]});
// + index chat_tenant_globex.config.idx_config_updated
db.getSiblingDB("chat_tenant_globex").runCommand({createIndexes: "config", indexes: [{key: {updated_at: -1}, name: "idx_config_updated"}]});
// + collection chat_tenant_initech.conversations
db.getSiblingDB("chat_tenant_initech").runCommand({create: "conversations"});
// + index chat_tenant_initech.conversations.idx_conversations_closed
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {closed_at: -1}, name: "idx_conversations_closed", sparse: true}]});
// + index chat_tenant_initech.conversations.idx_conversations_created
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {created_at: -1}, name: "idx_conversations_created"}]});
// + index chat_tenant_initech.conversations.idx_conversations_last_activity
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {last_activity_at: -1}, name: "idx_conversations_last_activity"}]});
// + index chat_tenant_initech.conversations.idx_conversations_status_activity
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {status: 1, last_activity_at: -1}, name: "idx_conversations_status_activity"}]});
// + index chat_tenant_initech.conversations.idx_conversations_status_user
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {status: 1, user_phone: 1}, name: "idx_conversations_status_user"}]});
// + index chat_tenant_initech.conversations.idx_conversations_user_phone
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {user_phone: 1}, name: "idx_conversations_user_phone", unique: true}]});
// + index chat_tenant_initech.conversations.idx_conversations_window_expiration
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {"whatsapp_window.expires_at": 1}, name: "idx_conversations_window_expiration"}]});
// + index chat_tenant_initech.conversations.idx_conversations_window_status
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "conversations", indexes: [{key: {"whatsapp_window.is_open": 1, status: 1}, name: "idx_conversations_window_status"}]});
// + collection chat_tenant_initech.messages
db.getSiblingDB("chat_tenant_initech").runCommand({create: "messages", validator: {$jsonSchema: {bsonType: "object", required: ["message_id", "conversation_id", "direction", "sender_type", "timestamp"], properties: {message_id: {bsonType: "string"}, conversation_id: {bsonType: ["string", "objectId"]}, whatsapp_message_id: {bsonType: "string"}, direction: {enum: ["inbound", "outbound"]}, sender_type: {enum: ["user", "bot", "agent"]}, status: {enum: ["pending", "sent", "delivered", "read", "failed"]}, ai_generated: {bsonType: "bool"}, timestamp: {bsonType: "date"}, read_at: {bsonType: ["date", "null"]}}}}, validationLevel: "strict", validationAction: "error"});
// + index chat_tenant_initech.messages.idx_messages_ai_generated
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {ai_generated: 1, timestamp: -1}, name: "idx_messages_ai_generated", sparse: true}]});
// + index chat_tenant_initech.messages.idx_messages_conversation_direction_timestamp
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, direction: 1, timestamp: -1}, name: "idx_messages_conversation_direction_timestamp"}]});
// + index chat_tenant_initech.messages.idx_messages_conversation_sender_timestamp
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, sender_type: 1, timestamp: -1}, name: "idx_messages_conversation_sender_timestamp"}]});
// + index chat_tenant_initech.messages.idx_messages_conversation_timestamp
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, timestamp: 1}, name: "idx_messages_conversation_timestamp"}]});
// + index chat_tenant_initech.messages.idx_messages_conversation_timestamp_desc
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {conversation_id: 1, timestamp: -1}, name: "idx_messages_conversation_timestamp_desc"}]});
// + index chat_tenant_initech.messages.idx_messages_direction
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {direction: 1}, name: "idx_messages_direction"}]});
// + index chat_tenant_initech.messages.idx_messages_message_id
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {message_id: 1}, name: "idx_messages_message_id", unique: true}]});
// + index chat_tenant_initech.messages.idx_messages_read_at
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {read_at: 1}, name: "idx_messages_read_at", sparse: true}]});
// + index chat_tenant_initech.messages.idx_messages_sender
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {sender_type: 1}, name: "idx_messages_sender"}]});
// + index chat_tenant_initech.messages.idx_messages_status_timestamp
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {status: 1, timestamp: -1}, name: "idx_messages_status_timestamp", sparse: true}]});
// + index chat_tenant_initech.messages.idx_messages_timestamp
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {timestamp: -1}, name: "idx_messages_timestamp"}]});
// + index chat_tenant_initech.messages.idx_messages_whatsapp_message_id
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "messages", indexes: [{key: {whatsapp_message_id: 1}, name: "idx_messages_whatsapp_message_id", sparse: true}]});
// + index chat_tenant_initech.config.idx_billing_status_updated
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "config", indexes: [{key: {"billing.status": 1, updated_at: -1}, name: "idx_billing_status_updated"}]});
// + index chat_tenant_initech.config.idx_config_created
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "config", indexes: [{key: {created_at: -1}, name: "idx_config_created"}]});
// + index chat_tenant_initech.config.idx_config_id  [hazards: may_fail_on_data]
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "config", indexes: [{key: {client_id: 1}, name: "idx_config_id", unique: true}]});
// + index chat_tenant_initech.config.idx_config_schema  [hazards: may_fail_on_data]
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "config", indexes: [{key: {schema_name: 1}, name: "idx_config_schema", unique: true}]});
// + index chat_tenant_initech.config.idx_config_updated
db.getSiblingDB("chat_tenant_initech").runCommand({createIndexes: "config", indexes: [{key: {updated_at: -1}, name: "idx_config_updated"}]});
