include $(sort $(wildcard $(BR2_EXTERNAL_PREPAID_PATH)/package/*/*.mk))
