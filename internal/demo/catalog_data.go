package demo

// The demo shop's assortment: a lifestyle and apparel shop with beauty, home
// and food on the side. Titles, prices and variants are fixed so that the demo
// reads the same every time; the seed only varies costs, launch dates,
// statuses and which items become hits.

// season says when a category sells: apparel follows the weather, food gifts
// follow 年货节.
type season uint8

const (
	flat season = iota
	summer
	winter
	newYear
	numSeasons
)

// top-level category indexes, also a customer's favourite department.
const (
	topWomen = iota
	topMen
	topBeauty
	topAccessories
	topHome
	topFood
	numTops
)

type topSeed struct {
	name, nameEN, code string
	attrKey            string // what a leaf's attribute list means for this department
}

var tops = [numTops]topSeed{
	topWomen:       {"女装", "Women", "WM", "材质"},
	topMen:         {"男装", "Men", "MN", "材质"},
	topBeauty:      {"美妆", "Beauty", "BT", "功效"},
	topAccessories: {"配饰", "Accessories", "AC", "材质"},
	topHome:        {"家居", "Home", "HM", "材质"},
	topFood:        {"食品", "Food", "FD", "产地"},
}

type leafSeed struct {
	code, name, nameEN string
	top                int
	season             season
	attrs              []string // values for the department's attribute key
	pitch              string   // the selling point descriptions are made of
}

var leaves = []leafSeed{
	{"DR", "连衣裙", "Dresses", topWomen, summer, []string{"棉", "雪纺", "真丝", "针织"}, "显瘦版型，通勤约会都合适"},
	{"WT", "T恤", "T-Shirts", topWomen, summer, []string{"纯棉", "莫代尔", "冰丝"}, "亲肤透气，百搭不挑人"},
	{"WS", "衬衫", "Shirts & Blouses", topWomen, flat, []string{"纯棉", "亚麻", "真丝", "雪纺"}, "挺括有型，职场日常两相宜"},
	{"SK", "半身裙", "Skirts", topWomen, summer, []string{"聚酯纤维", "牛仔", "羊毛混纺", "缎面"}, "高腰设计，拉长比例"},
	{"WC", "外套", "Coats & Jackets", topWomen, winter, []string{"羊绒", "羊毛", "白鸭绒", "摇粒绒"}, "保暖不臃肿，轻松叠穿"},
	{"MT", "T恤", "T-Shirts", topMen, summer, []string{"纯棉", "冰丝", "速干面料"}, "重磅面料，不易变形"},
	{"MS", "衬衫", "Shirts", topMen, flat, []string{"纯棉", "牛津纺", "亚麻"}, "免烫易打理，商务休闲皆宜"},
	{"MP", "休闲裤", "Casual Pants", topMen, flat, []string{"棉", "冰丝", "牛仔"}, "弹力舒适，久坐不勒"},
	{"MJ", "外套", "Jackets", topMen, winter, []string{"白鸭绒", "羊毛", "尼龙"}, "防风保暖，通勤户外都能穿"},
	{"FC", "面霜", "Face Creams", topBeauty, flat, []string{"保湿", "修护", "提亮", "紧致"}, "质地轻盈好吸收，温和不刺激"},
	{"SE", "精华", "Serums", topBeauty, flat, []string{"抗初老", "提亮", "修护"}, "高浓度有效成分，坚持使用看得见"},
	{"LP", "口红", "Lipsticks", topBeauty, flat, []string{"显白", "滋润", "持妆"}, "显色持久，薄涂厚涂都好看"},
	{"MK", "面膜", "Masks", topBeauty, flat, []string{"补水", "清洁", "修护"}, "一片补足水分，熬夜急救"},
	{"SS", "防晒", "Sunscreen", topBeauty, summer, []string{"防晒", "隔离"}, "高倍防护，清爽不油腻"},
	{"BG", "包袋", "Bags", topAccessories, flat, []string{"帆布", "头层牛皮", "尼龙"}, "大容量，通勤出游都能装"},
	{"JW", "饰品", "Jewelry & Hair", topAccessories, flat, []string{"925银", "淡水珍珠", "真丝", "羊绒"}, "精致小巧，送礼自用皆宜"},
	{"BD", "床品", "Bedding", topHome, flat, []string{"全棉", "天丝", "羽丝绒", "乳胶"}, "亲肤柔软，一觉睡到天亮"},
	{"ST", "收纳", "Storage", topHome, flat, []string{"PP材质", "亚克力", "布艺"}, "分区收纳，小空间也整洁"},
	{"AR", "香薰", "Home Fragrance", topHome, flat, []string{"植物精油", "大豆蜡"}, "淡雅留香，放松一整天"},
	{"CP", "杯具", "Cups & Mugs", topHome, flat, []string{"陶瓷", "316不锈钢", "高硼硅玻璃"}, "耐用好清洗，颜值在线"},
	{"SN", "零食", "Snacks", topFood, newYear, []string{"四川", "广东", "福建", "湖南"}, "独立小包装，追剧办公常备"},
	{"TE", "茶饮", "Tea & Coffee", topFood, newYear, []string{"浙江杭州", "云南", "福建"}, "原产地直供，口感醇正"},
	{"NT", "坚果", "Nuts", topFood, newYear, []string{"新疆", "美国", "澳大利亚"}, "每日一包，营养均衡"},
}

type productSeed struct {
	leaf           string
	title, titleEN string
	role           byte   // T traffic (引流款), P profit (利润款), L long tail (长尾款)
	price          int64  // list price in 分 of the first variant
	variants       string // "颜色:黑色,白色|尺码:M,L"; a value ending in +N costs N 分 more
}

// anchorTitle is a product every demo has, so docs and tests can name it.
const anchorTitle = "夏季碎花连衣裙"

var productSeeds = []productSeed{
	{"DR", anchorTitle, "Floral Summer Dress", 'P', 15900, "颜色:蓝色碎花,粉色碎花|尺码:M,L"},
	{"DR", "法式方领泡泡袖连衣裙", "French Square-Neck Puff-Sleeve Dress", 'P', 19900, "颜色:奶白,黑色|尺码:M,L"},
	{"DR", "纯棉吊带背心裙", "Cotton Slip Dress", 'T', 6990, "颜色:黑色,杏色"},
	{"DR", "真丝缎面长裙", "Silk Satin Maxi Dress", 'L', 59900, "颜色:香槟,墨绿|尺码:M,L"},
	{"DR", "针织收腰连衣裙", "Knit Fitted Dress", 'P', 23900, "颜色:燕麦,酒红|尺码:M,L"},
	{"DR", "雪纺印花度假裙", "Chiffon Print Holiday Dress", 'L', 18900, "尺码:S,M,L"},

	{"WT", "基础款纯棉圆领T恤", "Basic Cotton Crew-Neck Tee", 'T', 3990, "颜色:白色,黑色|尺码:M,L"},
	{"WT", "宽松字母印花T恤", "Loose Letter-Print Tee", 'T', 4990, "尺码:M,L,XL"},
	{"WT", "莫代尔修身短袖", "Modal Slim Short-Sleeve Top", 'P', 7990, "颜色:白色,浅粉|尺码:M,L"},
	{"WT", "冰丝防晒开衫", "Ice-Silk Sun-Protection Cardigan", 'P', 8990, "颜色:白色,浅蓝,浅紫"},
	{"WT", "法式V领针织短袖", "French V-Neck Knit Tee", 'L', 12900, "颜色:米白,黑色|尺码:M,L"},

	{"WS", "白色通勤衬衫", "White Office Shirt", 'P', 13900, "尺码:S,M,L,XL"},
	{"WS", "条纹宽松衬衫", "Striped Oversized Shirt", 'P', 11900, "颜色:蓝白条,粉白条|尺码:M,L"},
	{"WS", "真丝印花衬衫", "Printed Silk Blouse", 'L', 39900, "尺码:S,M,L,XL"},
	{"WS", "蕾丝拼接雪纺衫", "Lace-Trim Chiffon Blouse", 'L', 15900, "颜色:白色,黑色|尺码:M,L"},
	{"WS", "亚麻休闲衬衫", "Linen Casual Shirt", 'P', 16900, "颜色:白色,卡其|尺码:M,L"},

	{"SK", "高腰A字半身裙", "High-Waist A-Line Skirt", 'P', 12900, "颜色:黑色,卡其|尺码:S,M"},
	{"SK", "百褶中长裙", "Pleated Midi Skirt", 'P', 14900, "颜色:黑色,墨绿,燕麦"},
	{"SK", "牛仔包臀裙", "Denim Pencil Skirt", 'T', 6990, "尺码:S,M"},
	{"SK", "缎面鱼尾裙", "Satin Mermaid Skirt", 'L', 21900, "尺码:S,M,L"},
	{"SK", "格纹毛呢短裙", "Plaid Wool Mini Skirt", 'L', 17900, "颜色:灰格,红格|尺码:S,M"},

	{"WC", "轻薄羽绒服", "Lightweight Down Jacket", 'P', 39900, "颜色:黑色,米白|尺码:M,L"},
	{"WC", "双面羊绒大衣", "Double-Faced Cashmere Coat", 'L', 129900, "颜色:驼色,黑色|尺码:M,L"},
	{"WC", "小香风短外套", "Tweed Cropped Jacket", 'P', 29900, "尺码:S,M,L,XL"},
	{"WC", "中长款风衣", "Classic Trench Coat", 'P', 45900, "颜色:卡其,黑色|尺码:M,L"},
	{"WC", "摇粒绒开衫外套", "Fleece Zip Jacket", 'T', 8990, "颜色:米白,灰色"},
	{"WC", "加绒连帽卫衣", "Fleece-Lined Hoodie", 'T', 9990, "尺码:M,L"},

	{"MT", "男士纯棉短袖T恤", "Men's Cotton Tee", 'T', 4990, "颜色:白色,黑色|尺码:L,XL"},
	{"MT", "速干运动T恤", "Quick-Dry Sports Tee", 'T', 5990, "尺码:L,XL"},
	{"MT", "重磅纯色T恤", "Heavyweight Plain Tee", 'P', 9900, "颜色:白色,灰色,藏青"},
	{"MT", "冰丝Polo衫", "Ice-Silk Polo Shirt", 'P', 12900, "颜色:白色,藏青|尺码:L,XL"},
	{"MT", "国潮印花T恤", "Guochao Print Tee", 'L', 8900, "尺码:M,L,XL,XXL"},

	{"MS", "免烫商务衬衫", "Non-Iron Business Shirt", 'P', 15900, "颜色:白色,浅蓝|尺码:L,XL"},
	{"MS", "牛津纺休闲衬衫", "Oxford Casual Shirt", 'P', 12900, "尺码:M,L,XL,XXL"},
	{"MS", "法兰绒格子衬衫", "Flannel Check Shirt", 'L', 13900, "颜色:红格,蓝格|尺码:L,XL"},
	{"MS", "亚麻短袖衬衫", "Linen Short-Sleeve Shirt", 'L', 11900, "尺码:L,XL,XXL"},
	{"MS", "条纹修身衬衫", "Striped Slim-Fit Shirt", 'L', 14900, "尺码:M,L,XL"},

	{"MP", "男士直筒牛仔裤", "Men's Straight-Leg Jeans", 'P', 19900, "尺码:30,31,32,33,34"},
	{"MP", "冰丝休闲长裤", "Ice-Silk Casual Trousers", 'P', 12900, "尺码:L,XL,XXL"},
	{"MP", "工装束脚裤", "Cargo Jogger Pants", 'P', 15900, "颜色:黑色,军绿|尺码:L,XL"},
	{"MP", "运动短裤", "Sports Shorts", 'T', 5990, "尺码:L,XL"},
	{"MP", "加绒休闲裤", "Fleece-Lined Casual Pants", 'L', 16900, "颜色:黑色,卡其|尺码:L,XL"},

	{"MJ", "男士连帽羽绒服", "Men's Hooded Down Jacket", 'P', 59900, "尺码:L,XL,XXL"},
	{"MJ", "立领夹克", "Stand-Collar Jacket", 'P', 29900, "颜色:黑色,藏青|尺码:L,XL"},
	{"MJ", "三合一冲锋衣", "3-in-1 Outdoor Jacket", 'P', 49900, "尺码:L,XL,XXL"},
	{"MJ", "羊毛呢大衣", "Wool Overcoat", 'L', 89900, "颜色:藏青,驼色|尺码:L,XL"},
	{"MJ", "棒球服外套", "Baseball Jacket", 'L', 25900, "尺码:L,XL,XXL"},

	{"FC", "玻尿酸保湿面霜", "Hyaluronic Moisturizing Cream", 'P', 16900, "规格:30g,50g+7000"},
	{"FC", "烟酰胺亮肤面霜", "Niacinamide Brightening Cream", 'P', 19900, "规格:30g,50g+6000"},
	{"FC", "积雪草修护霜", "Centella Repair Cream", 'P', 12900, "规格:50g"},
	{"FC", "胜肽抗皱紧致霜", "Peptide Firming Cream", 'L', 45900, "规格:30g,50g+18000"},
	{"FC", "男士控油面霜", "Men's Oil-Control Cream", 'L', 9900, "规格:50g,100g+5000"},

	{"SE", "玻色因精华液", "Pro-Xylane Serum", 'P', 29900, "规格:30ml,50ml+14000"},
	{"SE", "维C焕亮精华", "Vitamin C Brightening Serum", 'P', 23900, "规格:30ml,50ml+9000"},
	{"SE", "二裂酵母精华", "Bifida Ferment Essence", 'P', 26900, "规格:50ml,100ml+19000"},
	{"SE", "视黄醇晚安精华", "Retinol Night Serum", 'L', 32900, "规格:30ml,50ml+12000"},
	{"SE", "精华小样体验装", "Serum Trial Kit", 'T', 1990, "规格:5ml×3"},

	{"LP", "丝绒雾面口红", "Velvet Matte Lipstick", 'P', 12900, "色号:#01正红,#02豆沙,#03枫叶红,#04番茄红,#05奶茶色"},
	{"LP", "水光唇釉", "Glossy Lip Glaze", 'P', 8900, "色号:#101蜜桃,#102玫瑰,#103焦糖"},
	{"LP", "润唇膏", "Tinted Lip Balm", 'T', 2990, "色号:无色,蜜桃"},
	{"LP", "口红礼盒", "Lipstick Gift Set", 'L', 39900, "规格:三支装,五支装+20000"},

	{"MK", "补水保湿面膜", "Hydrating Sheet Mask", 'T', 4990, "规格:10片装,20片装+4000"},
	{"MK", "清洁泥膜", "Purifying Clay Mask", 'T', 5990, "规格:100g"},
	{"MK", "睡眠面膜", "Overnight Sleeping Mask", 'P', 8900, "规格:80ml"},
	{"MK", "冻干粉修护面膜", "Freeze-Dried Repair Mask Kit", 'L', 15900, "规格:5对装"},
	{"MK", "蚕丝面膜", "Silk Sheet Mask", 'T', 3990, "规格:5片装"},

	{"SS", "清爽防晒霜SPF50+", "Light Sunscreen SPF50+", 'T', 6990, "规格:40ml,60ml+2000"},
	{"SS", "防晒喷雾", "Sunscreen Spray", 'T', 4990, "规格:150ml"},
	{"SS", "素颜防晒隔离", "Tinted Sun Primer", 'P', 11900, "色号:自然色,亮白色"},
	{"SS", "儿童防晒乳", "Kids' Sunscreen Lotion", 'L', 8900, "规格:50ml,100ml+5000"},

	{"BG", "帆布托特包", "Canvas Tote Bag", 'T', 3990, "颜色:米白,黑色"},
	{"BG", "真皮斜挎包", "Leather Crossbody Bag", 'P', 39900, "颜色:黑色,焦糖,燕麦"},
	{"BG", "通勤双肩包", "Commuter Backpack", 'P', 19900, "颜色:黑色,灰色"},
	{"BG", "腋下法棍包", "Baguette Shoulder Bag", 'P', 25900, "颜色:奶白,黑色,酒红"},
	{"BG", "零钱包", "Mini Coin Purse", 'L', 5990, "颜色:粉色,米白,黑色"},
	{"BG", "旅行收纳包", "Travel Pouch Set", 'L', 6990, "规格:六件套"},

	{"JW", "珍珠耳环", "Pearl Earrings", 'P', 8900, "款式:耳钉,耳夹"},
	{"JW", "真丝发圈", "Silk Scrunchies", 'T', 1990, "规格:三只装"},
	{"JW", "羊绒围巾", "Cashmere Scarf", 'L', 29900, "颜色:驼色,灰色,酒红"},
	{"JW", "棒球帽", "Baseball Cap", 'T', 4990, "颜色:黑色,卡其"},
	{"JW", "晴雨两用伞", "UV Sun Umbrella", 'P', 7990, "颜色:黑色,藕粉"},
	{"JW", "925银锁骨链", "Sterling Silver Necklace", 'L', 19900, "款式:锁骨链"},
	{"JW", "发夹套装", "Hair Clip Set", 'L', 2990, "规格:六件套"},

	{"BD", "全棉四件套", "Cotton Bedding Set", 'P', 29900, "尺寸:1.5m床,1.8m床+4000|颜色:灰白,雾蓝"},
	{"BD", "天丝凉感四件套", "Tencel Cooling Bedding Set", 'P', 49900, "尺寸:1.5m床,1.8m床+6000"},
	{"BD", "羽丝绒枕芯", "Down-Alternative Pillow", 'T', 5990, "规格:单只,一对+4000"},
	{"BD", "冬季加厚被芯", "Thick Winter Duvet", 'L', 39900, "尺寸:1.5m床,1.8m床+6000"},
	{"BD", "乳胶枕", "Latex Pillow", 'P', 16900, "规格:单只"},
	{"BD", "冰丝凉席", "Ice-Silk Cooling Mat", 'L', 19900, "尺寸:1.5m床,1.8m床+3000"},

	{"ST", "透明收纳箱", "Clear Storage Box", 'T', 3990, "规格:中号,大号+1500"},
	{"ST", "桌面收纳盒", "Desk Organizer", 'T', 2990, "颜色:白色,绿色"},
	{"ST", "衣柜分层收纳架", "Wardrobe Shelf Divider", 'P', 6990, "规格:单层,双层+3000"},
	{"ST", "真空压缩袋", "Vacuum Storage Bags", 'T', 3990, "规格:八件套"},
	{"ST", "化妆品收纳盒", "Makeup Organizer", 'L', 7990, "颜色:透明,白色"},

	{"AR", "无火香薰", "Reed Diffuser", 'P', 8900, "香型:白茶,无花果,海盐"},
	{"AR", "香薰蜡烛", "Scented Candle", 'P', 12900, "香型:雪松,玫瑰"},
	{"AR", "车载香薰", "Car Air Freshener", 'T', 3990, "香型:柑橘,海洋"},
	{"AR", "香薰机", "Aroma Diffuser", 'L', 19900, "颜色:白色,木纹"},
	{"AR", "精油套装", "Essential Oil Set", 'L', 15900, "规格:六瓶装"},

	{"CP", "陶瓷马克杯", "Ceramic Mug", 'T', 3990, "颜色:白色,奶黄"},
	{"CP", "316不锈钢保温杯", "Insulated Tumbler", 'P', 12900, "容量:350ml,500ml+2000"},
	{"CP", "玻璃吸管杯", "Glass Straw Cup", 'T', 3490, "容量:450ml"},
	{"CP", "日式茶具套装", "Japanese Tea Set", 'L', 26900, "规格:一壶四杯"},
	{"CP", "咖啡杯碟套装", "Coffee Cup & Saucer Set", 'L', 9900, "颜色:白色,墨绿"},

	{"SN", "辣条零食大礼包", "Spicy Snack Gift Pack", 'T', 2990, "规格:500g"},
	{"SN", "手撕牛肉干", "Shredded Beef Jerky", 'P', 6990, "口味:原味,麻辣,五香"},
	{"SN", "低脂全麦饼干", "Low-Fat Whole-Wheat Crackers", 'T', 2490, "规格:1kg"},
	{"SN", "芒果干", "Dried Mango", 'T', 2990, "规格:200g,500g+2500"},
	{"SN", "年货零食礼盒", "New Year Snack Gift Box", 'P', 12900, "规格:标准装,豪华装+6000"},
	{"SN", "海苔脆片", "Crispy Seaweed Snacks", 'T', 1990, "口味:原味,芝麻"},

	{"TE", "明前龙井", "Pre-Qingming Longjing Tea", 'P', 29900, "规格:125g,250g+25000"},
	{"TE", "冻干咖啡", "Freeze-Dried Coffee", 'P', 8900, "口味:经典,美式"},
	{"TE", "花果茶", "Fruit & Flower Tea", 'T', 3990, "口味:蜜桃乌龙,白桃"},
	{"TE", "云南普洱茶饼", "Yunnan Pu'er Tea Cake", 'L', 19900, "规格:357g"},
	{"TE", "胶原蛋白饮", "Collagen Drink", 'L', 15900, "规格:10瓶装"},

	{"NT", "每日坚果", "Daily Mixed Nuts", 'T', 6990, "规格:15袋,30袋+5900"},
	{"NT", "奶油碧根果", "Butter Pecans", 'P', 5990, "规格:250g,500g+4500"},
	{"NT", "夏威夷果", "Macadamia Nuts", 'P', 4990, "规格:500g"},
	{"NT", "坚果礼盒", "Nut Gift Box", 'P', 15900, "规格:八罐装"},
	{"NT", "奶香巴旦木", "Milky Almonds", 'L', 3990, "规格:500g"},
}
