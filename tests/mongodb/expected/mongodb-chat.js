// + collection second_brain.chat_messages
db.getSiblingDB("second_brain").runCommand({create: "chat_messages", validator: {$jsonSchema: {bsonType: "object", required: ["id", "session_id", "user_id", "role", "content", "status", "created_at"], properties: {id: {bsonType: "string"}, session_id: {bsonType: "string"}, user_id: {bsonType: "string"}, role: {enum: ["user", "assistant", "system"]}, content: {bsonType: "string"}, status: {enum: ["PENDING", "COMPLETED", "FAILED"]}, token_count: {bsonType: ["int", "long"], minimum: 0}, created_at: {bsonType: "date"}, _schema_version: {bsonType: "string"}}}}, validationLevel: "strict", validationAction: "error"});
// + index second_brain.chat_messages.created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {created_at: -1}, name: "created_at_-1"}]});
// + index second_brain.chat_messages.id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {id: 1}, name: "id_1", unique: true}]});
// + index second_brain.chat_messages.role_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {role: 1}, name: "role_1"}]});
// + index second_brain.chat_messages.session_id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {session_id: 1}, name: "session_id_1"}]});
// + index second_brain.chat_messages.session_id_1_created_at_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {session_id: 1, created_at: 1}, name: "session_id_1_created_at_1"}]});
// + index second_brain.chat_messages.status_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {status: 1}, name: "status_1"}]});
// + index second_brain.chat_messages.user_id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {user_id: 1}, name: "user_id_1"}]});
// + index second_brain.chat_messages.user_id_1_created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_messages", indexes: [{key: {user_id: 1, created_at: -1}, name: "user_id_1_created_at_-1"}]});
// + collection second_brain.chat_sessions
db.getSiblingDB("second_brain").runCommand({create: "chat_sessions"});
// + index second_brain.chat_sessions.created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_sessions", indexes: [{key: {created_at: -1}, name: "created_at_-1"}]});
// + index second_brain.chat_sessions.id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_sessions", indexes: [{key: {id: 1}, name: "id_1", unique: true}]});
// + index second_brain.chat_sessions.is_active_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_sessions", indexes: [{key: {is_active: 1}, name: "is_active_1"}]});
// + index second_brain.chat_sessions.session_type_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_sessions", indexes: [{key: {session_type: 1}, name: "session_type_1"}]});
// + index second_brain.chat_sessions.user_id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_sessions", indexes: [{key: {user_id: 1}, name: "user_id_1"}]});
// + index second_brain.chat_sessions.user_id_1_created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_sessions", indexes: [{key: {user_id: 1, created_at: -1}, name: "user_id_1_created_at_-1"}]});
// + index second_brain.chat_sessions.user_id_1_is_active_1_last_message_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "chat_sessions", indexes: [{key: {user_id: 1, is_active: 1, last_message_at: -1}, name: "user_id_1_is_active_1_last_message_at_-1"}]});
// + collection second_brain.message_votes
db.getSiblingDB("second_brain").runCommand({create: "message_votes", validator: {$jsonSchema: {bsonType: "object", required: ["id", "message_id", "user_id", "vote_type", "created_at"], properties: {vote_type: {enum: ["up", "down"]}}}}, validationLevel: "strict", validationAction: "error"});
// + index second_brain.message_votes.created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "message_votes", indexes: [{key: {created_at: -1}, name: "created_at_-1"}]});
// + index second_brain.message_votes.id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "message_votes", indexes: [{key: {id: 1}, name: "id_1", unique: true}]});
// + index second_brain.message_votes.idx_votes_one_per_user
db.getSiblingDB("second_brain").runCommand({createIndexes: "message_votes", indexes: [{key: {message_id: 1, user_id: 1}, name: "idx_votes_one_per_user", unique: true}]});
// + index second_brain.message_votes.message_id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "message_votes", indexes: [{key: {message_id: 1}, name: "message_id_1"}]});
// + index second_brain.message_votes.user_id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "message_votes", indexes: [{key: {user_id: 1}, name: "user_id_1"}]});
// + index second_brain.message_votes.vote_type_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "message_votes", indexes: [{key: {vote_type: 1}, name: "vote_type_1"}]});
// + collection second_brain.token_usage
db.getSiblingDB("second_brain").runCommand({create: "token_usage"});
// + index second_brain.token_usage.created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "token_usage", indexes: [{key: {created_at: -1}, name: "created_at_-1"}]});
// + index second_brain.token_usage.id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "token_usage", indexes: [{key: {id: 1}, name: "id_1", unique: true}]});
// + index second_brain.token_usage.message_id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "token_usage", indexes: [{key: {message_id: 1}, name: "message_id_1"}]});
// + index second_brain.token_usage.model_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "token_usage", indexes: [{key: {model: 1}, name: "model_1"}]});
// + index second_brain.token_usage.model_1_created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "token_usage", indexes: [{key: {model: 1, created_at: -1}, name: "model_1_created_at_-1"}]});
// + index second_brain.token_usage.session_id_1
db.getSiblingDB("second_brain").runCommand({createIndexes: "token_usage", indexes: [{key: {session_id: 1}, name: "session_id_1"}]});
// + index second_brain.token_usage.session_id_1_created_at_-1
db.getSiblingDB("second_brain").runCommand({createIndexes: "token_usage", indexes: [{key: {session_id: 1, created_at: -1}, name: "session_id_1_created_at_-1"}]});
