################################################################################
#
# prepaid
#
################################################################################

PREPAID_VERSION = 2.0.0
ifeq ($(BR2_aarch64),y)
PREPAID_CPU = arm64
else
PREPAID_CPU = x64
endif
# Buildroot's nodejs is 22.x: the tarball built for that Node.js ABI, by
# `npm run firmware -- --arch $(PREPAID_CPU) --node 22` in the project folder.
PREPAID_SOURCE = prepaid-$(PREPAID_VERSION)-linux-$(PREPAID_CPU)-node22.tar.gz
PREPAID_SITE = $(BR2_EXTERNAL_PREPAID_PATH)/../dist
PREPAID_SITE_METHOD = file
PREPAID_LICENSE = MIT, Apache-2.0, OLDAP-2.8, BSD-2-Clause (bundled third-party code)
PREPAID_LICENSE_FILES = THIRD_PARTY_NOTICES.txt
PREPAID_DEPENDENCIES = nodejs

define PREPAID_INSTALL_TARGET_CMDS
	$(INSTALL) -d -m 0755 $(TARGET_DIR)/usr/lib/prepaid
	cp -dpfr $(@D)/prepaid.mjs $(@D)/native $(@D)/www $(@D)/MANIFEST \
		$(@D)/THIRD_PARTY_NOTICES.txt $(TARGET_DIR)/usr/lib/prepaid/
	chmod 0755 $(TARGET_DIR)/usr/lib/prepaid/prepaid.mjs
	ln -sf ../lib/prepaid/prepaid.mjs $(TARGET_DIR)/usr/bin/prepaid
endef

define PREPAID_USERS
	prepaid -1 prepaid -1 * /var/lib/prepaid - dialout Prepaid calling application
endef

define PREPAID_PERMISSIONS
	/var/lib/prepaid d 700 prepaid prepaid - - - - -
endef

define PREPAID_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(PREPAID_PKGDIR)/S95prepaid \
		$(TARGET_DIR)/etc/init.d/S95prepaid
endef

define PREPAID_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(PREPAID_PKGDIR)/prepaid.service \
		$(TARGET_DIR)/usr/lib/systemd/system/prepaid.service
endef

$(eval $(generic-package))
